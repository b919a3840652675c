//! Plans: per resource, what an apply would do, with before/after documents.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::docs::diff::{DiffTag, json_diff};
use crate::docs::{ACCOUNT_PLACEHOLDER, Finding, ResourceKind, desired_state, lint};
use crate::spec::Spec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    NoChange,
    /// An existing resource the spec does not own (`create: false`): only our
    /// notification entry, queue policy and attachments are managed on it.
    Adopt,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::NoChange => "no change",
            Action::Adopt => "adopt",
        }
    }

    fn marker(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update | Action::Adopt => '~',
            Action::NoChange => '=',
        }
    }
}

/// One resource of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    pub resource: ResourceKind,
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub items: Vec<PlanItem>,
    pub findings: Vec<Finding>,
    /// Things observed or assumed that the reader should know.
    pub notes: Vec<String>,
}

impl Plan {
    /// The plan against an empty account, without any network: every owned
    /// resource is created, every `create: false` one adopted.
    pub fn offline(spec: &Spec) -> Plan {
        let items = desired_state(spec)
            .into_iter()
            .map(|d| PlanItem {
                resource: d.kind,
                name: d.name,
                action: if d.create {
                    Action::Create
                } else {
                    Action::Adopt
                },
                before: None,
                after: Some(d.document),
            })
            .collect();
        let mut notes = vec![
            "offline: nothing was read from AWS; every resource is shown as if it did not exist yet"
                .to_owned(),
        ];
        if spec.account_id.is_none() {
            notes.push(format!(
                "account_id is not set: documents show {ACCOUNT_PLACEHOLDER} where the account id goes; apply fills it in from the caller's identity"
            ));
        }
        Plan {
            items,
            findings: lint(spec),
            notes,
        }
    }

    /// Whether an apply would change anything.
    pub fn has_changes(&self) -> bool {
        self.items.iter().any(|i| i.action != Action::NoChange)
    }

    /// The machine-readable form: `[{"resource", "name", "action", "before", "after"}]`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.items).unwrap_or(Value::Null)
    }

    /// The readable form: a header per resource and a unified diff of each
    /// changed document, in ANSI colour when `color` is set.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        for item in &self.items {
            let header = format!(
                "{} {} {} {}",
                item.action.marker(),
                item.action.as_str(),
                item.resource.as_str(),
                item.name
            );
            let code = match item.action {
                Action::Create => "1;32",
                Action::Update | Action::Adopt => "1;33",
                Action::NoChange => "1",
            };
            let _ = writeln!(out, "{}", paint(code, &header));
            if item.action == Action::NoChange {
                continue;
            }
            for line in json_diff(item.before.as_ref(), item.after.as_ref()) {
                let code = match line.tag {
                    DiffTag::Hunk => "36",
                    DiffTag::Insert => "32",
                    DiffTag::Delete => "31",
                    DiffTag::Context => "",
                };
                let text = format!("    {}", line.unified());
                let _ = writeln!(
                    out,
                    "{}",
                    if code.is_empty() {
                        text
                    } else {
                        paint(code, &text)
                    }
                );
            }
        }
        let (create, update, adopt) =
            self.items
                .iter()
                .fold((0, 0, 0), |(c, u, a), i| match i.action {
                    Action::Create => (c + 1, u, a),
                    Action::Update => (c, u + 1, a),
                    Action::Adopt => (c, u, a + 1),
                    Action::NoChange => (c, u, a),
                });
        let _ = writeln!(
            out,
            "\nPlan: {create} to create, {update} to update, {adopt} to adopt, {} unchanged.",
            self.items.len() - create - update - adopt
        );
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nFindings:");
            for f in &self.findings {
                let code = match f.severity {
                    crate::docs::Severity::Error => "1;31",
                    crate::docs::Severity::Warning => "33",
                    crate::docs::Severity::Info => "2",
                };
                let _ = writeln!(
                    out,
                    "  {}",
                    paint(code, &f.to_string()).replace('\n', "\n    ")
                );
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for n in &self.notes {
                let _ = writeln!(out, "  {n}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::starter;

    #[test]
    fn offline_plan_creates_everything_and_adopts_what_exists() {
        let mut spec = starter("acme-ingest", "us-west-2", None);
        spec.bucket.create = false;
        let plan = Plan::offline(&spec);
        let actions: Vec<(&str, Action)> = plan
            .items
            .iter()
            .map(|i| (i.resource.as_str(), i.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("policy", Action::Create),
                ("role", Action::Create),
                ("bucket", Action::Adopt),
                ("dead-letter-queue", Action::Create),
                ("queue", Action::Create),
                ("notification", Action::Create),
            ]
        );
        assert!(plan.has_changes());
        assert!(plan.notes.iter().any(|n| n.contains("<ACCOUNT_ID>")));
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
}
