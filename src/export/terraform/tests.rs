//! The Terraform export's tests, with the HCL reader and helpers they share
//! to read `main.tf` back. Kept whole, over 600 lines: every test reads the
//! file through those helpers, one resource or rule a test.

use super::hcl::{ACCOUNT_ID, escape, object_key, snake_case, template};
use super::*;
use crate::docs::ACCOUNT_PLACEHOLDER;
use crate::docs::testing::acme;
use crate::spec::{BucketEncryption, QueueEncryption};
use serde_json::json;

/// Reads back the HCL this module writes inside `jsonencode(...)` and
/// arguments: strings (the account interpolation becomes the placeholder
/// again), numbers, booleans, null, lists, objects; a reference `a.b.c`
/// reads as the string `ref:a.b.c`.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start_matches([' ', '\n']);
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        let found = self.rest().starts_with(token);
        if found {
            self.pos += token.len();
        }
        found
    }

    fn expr(&mut self) -> Value {
        self.skip_space();
        if self.eat("jsonencode(") {
            let value = self.expr();
            assert!(self.eat(")"), "unclosed jsonencode at {}", self.rest());
            return value;
        }
        if self.eat("{") {
            let mut map = serde_json::Map::new();
            while !self.eat("}") {
                self.skip_space();
                let key = if self.rest().starts_with('"') {
                    self.string()
                } else {
                    self.word()
                };
                assert!(self.eat("="), "no = after {key} at {}", self.rest());
                let value = self.expr();
                map.insert(key, value);
            }
            return Value::Object(map);
        }
        if self.eat("[") {
            let mut items = Vec::new();
            while !self.eat("]") {
                items.push(self.expr());
                self.eat(",");
            }
            return Value::Array(items);
        }
        if self.rest().starts_with('"') {
            return Value::String(self.string());
        }
        let word = self.word();
        match word.as_str() {
            "true" => json!(true),
            "false" => json!(false),
            "null" => Value::Null,
            ACCOUNT_ID => Value::String(ACCOUNT_PLACEHOLDER.to_owned()),
            _ => match word.parse::<u64>() {
                Ok(n) => json!(n),
                Err(_) => Value::String(format!("ref:{word}")),
            },
        }
    }

    fn word(&mut self) -> String {
        self.skip_space();
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
            .unwrap_or(self.rest().len());
        let word = self.rest()[..len].to_owned();
        assert!(!word.is_empty(), "expected a word at {}", self.rest());
        self.pos += len;
        word
    }

    fn string(&mut self) -> String {
        assert!(self.eat("\""));
        let mut out = String::new();
        let account = format!("${{{ACCOUNT_ID}}}");
        loop {
            let rest = self.rest();
            let (skip, text) = if rest.starts_with('"') {
                self.pos += 1;
                return out;
            } else if rest.starts_with("$${") || rest.starts_with("%%{") {
                (3, &rest[1..3])
            } else if rest.starts_with(&account) {
                (account.len(), ACCOUNT_PLACEHOLDER)
            } else if rest.starts_with("${\"$\"}") {
                (6, "$")
            } else if rest.starts_with("${") || rest.starts_with("%{") {
                panic!("unexpected template sequence at {rest}");
            } else if let Some(escaped) = rest.strip_prefix('\\') {
                let (len, c) = match escaped.chars().next().unwrap() {
                    'n' => (2, '\n'),
                    'r' => (2, '\r'),
                    't' => (2, '\t'),
                    '"' => (2, '"'),
                    '\\' => (2, '\\'),
                    'u' => (
                        6,
                        char::from_u32(u32::from_str_radix(&escaped[1..5], 16).unwrap()).unwrap(),
                    ),
                    other => panic!("unknown escape \\{other}"),
                };
                out.push(c);
                self.pos += len;
                continue;
            } else {
                let c = rest.chars().next().expect("unterminated string");
                assert!(c != '\n', "raw newline in a string");
                out.push(c);
                self.pos += c.len_utf8();
                continue;
            };
            out.push_str(text);
            self.pos += skip;
        }
    }
}

/// The value of argument `name` in the block whose header line is `header`.
fn argument(tf: &str, header: &str, name: &str) -> Value {
    let start = tf
        .find(&format!("\n{header} {{\n"))
        .unwrap_or_else(|| panic!("no {header} in\n{tf}"));
    let body = &tf[start..];
    let end = body.find("\n}\n").unwrap();
    let at = body[..end]
        .find(&format!("\n  {name} "))
        .unwrap_or_else(|| panic!("no {name} in {header}"));
    let mut reader = Reader {
        text: body,
        pos: at,
    };
    assert_eq!(reader.word(), name);
    assert!(reader.eat("="));
    reader.expr()
}

fn has_block(tf: &str, header: &str) -> bool {
    tf.contains(&format!("\n{header} {{"))
}

/// Brackets balance outside strings and comments, strings close on their
/// line, and interpolations only ever name the account id.
fn assert_well_formed(tf: &str) {
    let mut stack = Vec::new();
    let mut chars = tf.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                while chars.peek().is_some_and(|&(_, c)| c != '\n') {
                    chars.next();
                }
            }
            '{' | '[' | '(' => stack.push(c),
            '}' | ']' | ')' => {
                let open = stack
                    .pop()
                    .unwrap_or_else(|| panic!("unbalanced {c} at {i}"));
                assert_eq!(
                    Some(open),
                    match c {
                        '}' => Some('{'),
                        ']' => Some('['),
                        _ => Some('('),
                    }
                );
            }
            '"' => {
                let mut reader = Reader { text: tf, pos: i };
                reader.string();
                while chars.peek().is_some_and(|&(j, _)| j < reader.pos) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[test]
fn alarms_are_their_definitions_notifying_the_topic_by_reference() {
    let mut spec = acme();
    assert!(!terraform(&spec).contains("aws_cloudwatch_metric_alarm"));
    spec.alarms.enabled = true;
    spec.alarms.email = Some("ops@example.com".into());
    let tf = terraform(&spec);
    for wanted in [
        "resource \"aws_sns_topic\" \"alarms\" {\n  name = \"acme-ingest-alarms\"\n  tags = local.tags\n}",
        "resource \"aws_sns_topic_policy\" \"alarms\" {\n  arn = aws_sns_topic.alarms.arn\n",
        "Resource = aws_sns_topic.alarms.arn",
        "resource \"aws_sns_topic_subscription\" \"alarm_email\" {\n  topic_arn = aws_sns_topic.alarms.arn\n  protocol  = \"email\"\n  endpoint  = \"ops@example.com\"\n}",
        "resource \"aws_cloudwatch_metric_alarm\" \"dlq_not_empty\" {",
        "  ok_actions        = [aws_sns_topic.alarms.arn]\n  alarm_actions     = [aws_sns_topic.alarms.arn]\n",
        "  dimensions = {\n    QueueName = \"acme-ingest-queue-dlq\"\n  }\n",
        "  threshold           = 1800.0\n",
        "  treat_missing_data  = \"notBreaching\"\n",
        "  metric_query {\n    id          = \"stalled\"\n    expression  = \"IF(sent > 0 AND FILL(deleted, 0) == 0, 1, 0)\"\n    label       = \"Sent but not consumed\"\n    return_data = true\n  }\n",
        "    metric {\n      namespace   = \"AWS/SQS\"\n      metric_name = \"NumberOfMessagesSent\"\n",
    ] {
        assert!(tf.contains(wanted), "{wanted}\nnot in:\n{tf}");
    }
    assert_eq!(tf.matches("metric_query {").count(), 3);
    spec.alarms.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:ops".into());
    let tf = terraform(&spec);
    assert!(!tf.contains("aws_sns_topic\" \"alarms\""));
    assert!(tf.contains("alarm_actions     = [\"arn:aws:sns:us-west-2:123456789012:ops\"]"));
}

#[test]
fn default_spec_has_every_resource() {
    let tf = terraform(&acme());
    assert_well_formed(&tf);
    for header in [
        "terraform",
        "provider \"aws\"",
        "resource \"aws_iam_policy\" \"consumer\"",
        "resource \"aws_iam_role\" \"consumer\"",
        "resource \"aws_iam_role_policy_attachment\" \"consumer\"",
        "resource \"aws_sqs_queue\" \"dlq\"",
        "resource \"aws_sqs_queue\" \"queue\"",
        "resource \"aws_sqs_queue_policy\" \"queue\"",
        "resource \"aws_s3_bucket\" \"source\"",
        "resource \"aws_s3_bucket_public_access_block\" \"source\"",
        "resource \"aws_s3_bucket_ownership_controls\" \"source\"",
        "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"source\"",
        "resource \"aws_s3_bucket_policy\" \"source\"",
        "resource \"aws_s3_bucket_notification\" \"source\"",
        "output \"role_arn\"",
        "output \"queue_url\"",
    ] {
        assert!(has_block(&tf, header), "{header} missing");
    }
    assert!(
        tf.starts_with("# Terraform configuration generated by sluice for stack `acme-ingest`.\n")
    );
    assert!(tf.contains("\ndata \"aws_caller_identity\" \"current\" {}\n"));
    assert!(!has_block(&tf, "resource \"aws_iam_user\" \"consumer\""));
    assert!(!has_block(
        &tf,
        "resource \"aws_s3_bucket_versioning\" \"source\""
    ));
    assert!(!tf.contains("resource \"aws_iam_access_key\""));
    assert_eq!(tf, terraform(&acme()));
}

#[test]
fn header_blocks_are_exact() {
    let tf = terraform(&acme());
    let expected = r#"terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region              = "us-west-2"
  allowed_account_ids = ["123456789012"]
}

data "aws_caller_identity" "current" {}

locals {
  tags = {
    "managed-by"   = "sluice"
    "sluice:stack" = "acme-ingest"
  }
}
"#;
    assert!(tf.contains(expected), "{tf}");
    let mut spec = acme();
    spec.account_id = None;
    assert!(terraform(&spec).contains("provider \"aws\" {\n  region = \"us-west-2\"\n}\n"));
}

#[test]
fn policies_are_the_docs_with_the_account_interpolated() {
    let mut spec = acme();
    spec.role.trusted_principals.clear();
    spec.bucket.prefix = "logs/${aws:username}/%{x}\"q\"\\".into();
    spec.bucket.suffix = ".json".into();
    let tf = terraform(&spec);
    assert_well_formed(&tf);
    let docs_spec = account_free(&spec);
    assert_eq!(
        argument(&tf, "resource \"aws_iam_policy\" \"consumer\"", "policy"),
        docs::json(&docs::permissions_policy(&docs_spec))
    );
    assert_eq!(
        argument(
            &tf,
            "resource \"aws_iam_role\" \"consumer\"",
            "assume_role_policy"
        ),
        docs::json(&docs::trust_policy(&docs_spec))
    );
    assert_eq!(
        argument(&tf, "resource \"aws_sqs_queue_policy\" \"queue\"", "policy"),
        docs::json(&docs::queue_policy(&docs_spec))
    );
    assert_eq!(
        argument(
            &tf,
            "resource \"aws_s3_bucket_policy\" \"source\"",
            "policy"
        ),
        docs::json(&docs::bucket_policy(&docs_spec))
    );
    assert!(tf.contains(
        "        Resource = \"arn:aws:sqs:us-west-2:${data.aws_caller_identity.current.account_id}:acme-ingest-queue\"\n"
    ));
    assert!(tf.contains(
        "          AWS = \"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root\"\n"
    ));
    assert!(tf.contains(
        "            \"aws:SourceAccount\" = data.aws_caller_identity.current.account_id\n"
    ));
    assert!(
        tf.contains(r#""logs/$${$}{aws:username}/%%{x}\"q\"\\*""#),
        "{tf}"
    );
    assert!(!tf.contains(ACCOUNT_PLACEHOLDER));
}

#[test]
fn queues_carry_the_docs_attributes() {
    let tf = terraform(&acme());
    let queue = "resource \"aws_sqs_queue\" \"queue\"";
    assert_eq!(argument(&tf, queue, "name"), "acme-ingest-queue");
    assert_eq!(
        argument(&tf, queue, "visibility_timeout_seconds"),
        json!(600)
    );
    assert_eq!(
        argument(&tf, queue, "message_retention_seconds"),
        json!(604_800)
    );
    assert_eq!(argument(&tf, queue, "sqs_managed_sse_enabled"), json!(true));
    assert_eq!(
        argument(&tf, queue, "redrive_policy"),
        json!({"deadLetterTargetArn": "ref:aws_sqs_queue.dlq.arn", "maxReceiveCount": 5})
    );
    assert_eq!(argument(&tf, queue, "tags"), "ref:local.tags");
    assert!(tf.contains(
        "  redrive_policy = jsonencode({\n    deadLetterTargetArn = aws_sqs_queue.dlq.arn\n    maxReceiveCount     = 5\n  })\n"
    ));
    let dlq = "resource \"aws_sqs_queue\" \"dlq\"";
    assert_eq!(argument(&tf, dlq, "name"), "acme-ingest-queue-dlq");
    // Every attribute of the docs, but the policy, is an argument with the same value.
    let spec = account_free(&acme());
    for (header, attributes) in [
        (dlq, docs::dlq_attributes(&spec).unwrap()),
        (queue, docs::queue_attributes(&spec)),
    ] {
        for (attribute, value) in attributes.as_object().unwrap() {
            if attribute == "Policy" {
                continue;
            }
            let (name, kind) = queue_argument(attribute).unwrap();
            let text = value.as_str().unwrap();
            let written = argument(&tf, header, name);
            match kind {
                ArgKind::Json if attribute == "RedrivePolicy" => {}
                ArgKind::Json => {
                    assert_eq!(written, serde_json::from_str::<Value>(text).unwrap())
                }
                _ => assert_eq!(written.to_string().trim_matches('"'), text, "{attribute}"),
            }
        }
    }
    assert_eq!(
        argument(
            &tf,
            "resource \"aws_sqs_queue_policy\" \"queue\"",
            "queue_url"
        ),
        "ref:aws_sqs_queue.queue.url"
    );
}

#[test]
fn kms_and_versioning() {
    let mut spec = acme();
    spec.queue.encryption = QueueEncryption::Kms;
    spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/q".into());
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/b".into());
    spec.bucket.versioning = true;
    let tf = terraform(&spec);
    assert_well_formed(&tf);
    for label in ["dlq", "queue"] {
        let header = format!("resource \"aws_sqs_queue\" \"{label}\"");
        assert_eq!(
            argument(&tf, &header, "kms_master_key_id"),
            "arn:aws:kms:us-west-2:123456789012:key/q"
        );
    }
    assert!(!tf.contains("sqs_managed_sse_enabled"));
    assert!(tf.contains(
        r#"resource "aws_s3_bucket_server_side_encryption_configuration" "source" {
  bucket = aws_s3_bucket.source.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = "arn:aws:kms:us-west-2:123456789012:key/b"
    }
    bucket_key_enabled = true
  }
}
"#
    ));
    assert!(tf.contains(
        r#"resource "aws_s3_bucket_versioning" "source" {
  bucket = aws_s3_bucket.source.id
  versioning_configuration {
    status = "Enabled"
  }
}
"#
    ));
}

#[test]
fn bucket_settings_mirror_the_docs() {
    let tf = terraform(&acme());
    assert!(tf.contains(
        r#"resource "aws_s3_bucket_public_access_block" "source" {
  bucket                  = aws_s3_bucket.source.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}
"#
    ));
    assert!(tf.contains(
        r#"resource "aws_s3_bucket_ownership_controls" "source" {
  bucket = aws_s3_bucket.source.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}
"#
    ));
    assert!(tf.contains(
        "resource \"aws_s3_bucket\" \"source\" {\n  bucket = \"acme-ingest-source\"\n  tags   = local.tags\n}\n"
    ));
}

#[test]
fn notification_has_our_entry_after_the_queue_policy() {
    let mut spec = acme();
    spec.bucket.prefix = "logs/".into();
    spec.bucket.suffix = ".json.gz".into();
    spec.notification.events = vec![
        "s3:ObjectCreated:Put".into(),
        "s3:ObjectCreated:Copy".into(),
    ];
    let tf = terraform(&spec);
    assert!(
        tf.contains(
            r#"resource "aws_s3_bucket_notification" "source" {
  bucket = aws_s3_bucket.source.id
  queue {
    id            = "acme-ingest-object-created"
    queue_arn     = aws_sqs_queue.queue.arn
    events        = ["s3:ObjectCreated:Put", "s3:ObjectCreated:Copy"]
    filter_prefix = "logs/"
    filter_suffix = ".json.gz"
  }
  depends_on = [aws_sqs_queue_policy.queue]
}
"#
        ),
        "{tf}"
    );
    assert_eq!(argument(&tf, "output \"prefix\"", "value"), "logs/");
    let tf = terraform(&acme());
    assert!(!tf.contains("filter_prefix") && !tf.contains("filter_suffix"));
    assert_eq!(argument(&tf, "output \"prefix\"", "value"), "");
}

#[test]
fn adopted_bucket_is_read_and_never_overwritten() {
    let mut spec = acme();
    spec.bucket.create = false;
    let tf = terraform(&spec);
    assert_well_formed(&tf);
    assert!(tf.contains(
        "# aws_s3_bucket_notification replaces a bucket's whole notification configuration,\n"
    ));
    assert!(tf.contains(
        "# `sluice apply` or the exported setup.sh, which merge it with the existing entries.\n"
    ));
    assert!(
        tf.contains(
            "\ndata \"aws_s3_bucket\" \"source\" {\n  bucket = \"acme-ingest-source\"\n}\n"
        )
    );
    assert!(!tf.contains("resource \"aws_s3_bucket"));
    assert_eq!(
        argument(&tf, "output \"bucket\"", "value"),
        "ref:data.aws_s3_bucket.source.id"
    );
}

#[test]
fn adopted_queue_is_read() {
    let mut spec = acme();
    spec.queue.create = false;
    let tf = terraform(&spec);
    assert_well_formed(&tf);
    assert!(!tf.contains("resource \"aws_sqs_queue\""));
    assert!(
        tf.contains("\ndata \"aws_sqs_queue\" \"queue\" {\n  name = \"acme-ingest-queue\"\n}\n")
    );
    assert_eq!(
        argument(
            &tf,
            "resource \"aws_sqs_queue_policy\" \"queue\"",
            "queue_url"
        ),
        "ref:data.aws_sqs_queue.queue.url"
    );
    assert!(tf.contains("    queue_arn = data.aws_sqs_queue.queue.arn\n"));
    assert_eq!(
        argument(&tf, "output \"queue_arn\"", "value"),
        "ref:data.aws_sqs_queue.queue.arn"
    );
}

#[test]
fn user_without_role_and_never_an_access_key() {
    let mut spec = acme();
    spec.role.enabled = false;
    spec.user.enabled = true;
    spec.user.create_access_key = true;
    let tf = terraform(&spec);
    assert_well_formed(&tf);
    assert!(!has_block(&tf, "resource \"aws_iam_role\" \"consumer\""));
    assert!(!has_block(&tf, "output \"role_arn\""));
    assert!(tf.contains(
        "# No aws_iam_access_key: its secret would be stored in plain text in the Terraform state.\n"
    ));
    assert!(!tf.contains("resource \"aws_iam_access_key\""));
    assert_eq!(
        argument(&tf, "resource \"aws_iam_user\" \"consumer\"", "name"),
        "acme-ingest-user"
    );
    let attachment = "resource \"aws_iam_user_policy_attachment\" \"consumer\"";
    assert_eq!(
        argument(&tf, attachment, "user"),
        "ref:aws_iam_user.consumer.name"
    );
    assert_eq!(
        argument(&tf, attachment, "policy_arn"),
        "ref:aws_iam_policy.consumer.arn"
    );
    assert_eq!(
        argument(&tf, "output \"user_arn\"", "value"),
        "ref:aws_iam_user.consumer.arn"
    );
}

#[test]
fn dlq_disabled() {
    let mut spec = acme();
    spec.queue.dead_letter.enabled = false;
    spec.bucket.deny_insecure_transport = false;
    let tf = terraform(&spec);
    assert!(!tf.contains("aws_sqs_queue\" \"dlq\"") && !tf.contains("redrive_policy"));
    assert!(!tf.contains("aws_s3_bucket_policy"));
}

#[test]
fn outputs_are_the_connector_values() {
    let tf = terraform(&acme());
    let names: Vec<&str> = tf
        .lines()
        .filter_map(|l| l.strip_prefix("output \"")?.split('"').next())
        .collect();
    assert_eq!(
        names,
        [
            "role_arn",
            "external_id",
            "queue_url",
            "queue_arn",
            "bucket",
            "region",
            "prefix",
            "suffix"
        ]
    );
    assert!(tf.contains(
        "output \"external_id\" {\n  description = \"The external ID the connector passes when it assumes the role\"\n  value       = \"ext-123\"\n}\n"
    ));
}

#[test]
fn strings_are_escaped() {
    assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
    assert_eq!(
        escape("${x} %{if} $${y} $ % {"),
        "$${x} %%{if} $$${y} $ % {"
    );
    assert_eq!(escape("l1\nl2\t\u{7}é"), "l1\\nl2\\t\\u0007é");
    assert_eq!(
        template("arn:<ACCOUNT_ID>:${v}"),
        "\"arn:${data.aws_caller_identity.current.account_id}:$${v}\""
    );
    assert_eq!(
        template("$<ACCOUNT_ID>"),
        "\"${\"$\"}${data.aws_caller_identity.current.account_id}\""
    );
    let mut reader = Reader {
        text: "\"$${x}${\"$\"}${data.aws_caller_identity.current.account_id}%%{y}\\u0007\"",
        pos: 0,
    };
    assert_eq!(reader.string(), "${x}$<ACCOUNT_ID>%{y}\u{7}");
    assert_eq!(object_key("Version"), "Version");
    assert_eq!(object_key("aws:SourceArn"), "\"aws:SourceArn\"");
    assert_eq!(object_key("managed-by"), "\"managed-by\"");
    assert_eq!(object_key("null"), "\"null\"");
    assert_eq!(object_key("${x}"), "\"$${x}\"");
}

#[test]
fn snake_case_handles_acronyms() {
    assert_eq!(snake_case("BlockPublicAcls"), "block_public_acls");
    assert_eq!(snake_case("SSEAlgorithm"), "sse_algorithm");
    assert_eq!(snake_case("KMSMasterKeyID"), "kms_master_key_id");
    assert_eq!(
        snake_case("ApplyServerSideEncryptionByDefault"),
        "apply_server_side_encryption_by_default"
    );
    assert_eq!(snake_case("Status"), "status");
}
